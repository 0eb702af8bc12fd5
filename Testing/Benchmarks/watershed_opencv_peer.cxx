// The OpenCV program a user would write for a marker watershed, the whole-command peer of
// `tessera watershed` in run-watershed-benchmark.sh (which compiles it against OpenCV alone):
// read an 8-bit colour image and 16-bit markers, cv::watershed, write the labels as a 16-bit PNG
// (OpenCV's lines and image border, -1, written as 0).
//   watershed_opencv_peer IMAGE MARKERS OUTPUT
#include <iostream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

int
main(int argc, char ** argv)
{
  if (argc != 4)
  {
    std::cerr << "usage: " << argv[0] << " IMAGE MARKERS OUTPUT\n";
    return 2;
  }
  const cv::Mat image = cv::imread(argv[1], cv::IMREAD_COLOR);
  const cv::Mat markers16 = cv::imread(argv[2], cv::IMREAD_ANYDEPTH);
  if (image.empty() || markers16.empty())
  {
    std::cerr << "cannot read " << argv[1] << " or " << argv[2] << "\n";
    return 1;
  }
  cv::Mat markers;
  markers16.convertTo(markers, CV_32S);
  cv::watershed(image, markers);
  cv::Mat labels;
  cv::max(markers, 0, markers);
  markers.convertTo(labels, CV_16U);
  return cv::imwrite(argv[3], labels) ? 0 : 1;
}
