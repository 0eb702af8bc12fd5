#include "tesseraNormalizedCut.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <string>

#include "itk_eigen.h"
#include ITK_EIGEN(Eigenvalues)

#include "tesseraError.h"

namespace tessera
{
std::vector<std::vector<std::size_t>>
NormalizedCutPartition(const std::vector<double> & similarity, std::size_t n, const NormalizedCutOptions & options)
{
  if (similarity.size() != n * n)
  {
    throw Error("normalized cut", "the similarity matrix has " + std::to_string(similarity.size()) +
                                    " entries, not " + std::to_string(n) + " x " + std::to_string(n));
  }
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajorMatrix> W(similarity.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  std::vector<std::vector<std::size_t>> groups;
  std::function<void(const std::vector<std::size_t> &)> split = [&](const std::vector<std::size_t> & set) {
    const auto k = static_cast<Eigen::Index>(set.size());
    if (k > 2)
    {
      Eigen::MatrixXd w(k, k);
      for (Eigen::Index i = 0; i < k; ++i)
      {
        for (Eigen::Index j = 0; j < k; ++j)
        {
          w(i, j) = W(set[i], set[j]);
        }
      }
      const Eigen::VectorXd d = w.rowwise().sum();
      const Eigen::VectorXd dis = d.cwiseSqrt().cwiseInverse();
      Eigen::MatrixXd       a = -w;
      a.diagonal() += d;
      a = dis.asDiagonal() * a * dis.asDiagonal();
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(a);
      // Second smallest eigenvalue (ascending order); y = D^-1/2 z (Shi & Malik). D^1/2 1 is the
      // exact eigenvector of 0: take whichever of the two first eigenvectors keeps more once it
      // is projected out (robust when 0 is a double eigenvalue: two disconnected parts).
      const Eigen::VectorXd z1 = d.cwiseSqrt().normalized();
      const Eigen::VectorXd c0 = solver.eigenvectors().col(0), c1 = solver.eigenvectors().col(1);
      const Eigen::VectorXd r0 = c0 - z1 * z1.dot(c0), r1 = c1 - z1 * z1.dot(c1);
      const Eigen::VectorXd y = dis.cwiseProduct(r1.norm() >= r0.norm() ? r1 : r0);
      const double          lo = y.minCoeff(), hi = y.maxCoeff();
      double                best = std::numeric_limits<double>::infinity();
      std::vector<char>     bestMask;
      if (hi - lo > 1e-12 * std::max(1.0, std::abs(hi)))
      {
        for (unsigned int c = 0; c < options.cuts; ++c)
        {
          const double      t = lo + (hi - lo) * c / options.cuts;
          std::vector<char> mask(set.size());
          double            cut = 0, assocA = 0, assocB = 0;
          for (Eigen::Index i = 0; i < k; ++i)
          {
            mask[i] = y(i) > t;
            (mask[i] ? assocA : assocB) += d(i);
          }
          for (Eigen::Index i = 0; i < k; ++i)
          {
            for (Eigen::Index j = i + 1; j < k; ++j)
            {
              if (mask[i] != mask[j])
              {
                cut += w(i, j);
              }
            }
          }
          if (assocA <= 0 || assocB <= 0)
          {
            continue;
          }
          const double cost = cut / assocA + cut / assocB;
          if (cost < best)
          {
            best = cost;
            bestMask = mask;
          }
        }
      }
      if (best < options.threshold)
      {
        std::vector<std::size_t> s1, s2;
        for (Eigen::Index i = 0; i < k; ++i)
        {
          (bestMask[i] ? s1 : s2).push_back(set[i]);
        }
        split(s1);
        split(s2);
        return;
      }
    }
    groups.push_back(set);
  };
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{ 0 });
  split(all);
  return groups;
}
} // namespace tessera
