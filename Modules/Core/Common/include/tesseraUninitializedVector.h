#ifndef tesseraUninitializedVector_h
#define tesseraUninitializedVector_h

#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera
{
/** std::allocator that leaves elements default-initialised (uninitialised for numbers) on resize, instead of
 * zeroing them: for large buffers that a parallel pass fills next, so that their pages are first touched (and
 * faulted in) on all threads rather than by one memset. */
template <typename T>
struct DefaultInitAllocator : std::allocator<T>
{
  template <typename U>
  struct rebind
  {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U> &) noexcept
  {}
  template <typename U>
  void construct(U * p) noexcept(std::is_nothrow_default_constructible<U>::value)
  {
    ::new (static_cast<void *>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U * p, Args &&... args)
  {
    ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
  }
};

/** A vector whose `resize(n)` and `UninitializedVector<T>(n)` leave numbers uninitialised. */
template <typename T>
using UninitializedVector = std::vector<T, DefaultInitAllocator<T>>;
} // namespace tessera

#endif
