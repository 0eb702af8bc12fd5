#ifndef tesseraRegionMerging_h
#define tesseraRegionMerging_h

/** \file Umbrella for the merging on a region adjacency graph, kept for the applications that
 * still include it; new code includes the header of the class it uses. */
#include "tesseraMergeHierarchy.h"
#include "tesseraMergeWeightFunction.h"
#include "tesseraNormalizedCut.h"
#include "tesseraRegionMerger.h"

#endif
