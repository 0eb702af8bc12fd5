// placeholder replaced below
#include <gtest/gtest.h>
TEST(StageRegistry, Placeholder) {}
