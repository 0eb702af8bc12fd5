# Debian's ITK headers were configured by GCC: itk_compiler_detection.h stops any other compiler
# with "Unsupported compiler". For a clang build (Utilities/sanitize.sh) this makes a shadow of
# ITK's include folder, symbolic links but for that header, which here reads clang's features
# from the GCC table as GCC 12 would (clang 14 has every C++17 feature it lists), and puts it first
# on the include path, so that ITK's own quoted includes resolve in the shadow too.
set(itk_include "")
foreach(dir ${ITK_INCLUDE_DIRS})
  if(EXISTS "${dir}/itk_compiler_detection.h")
    set(itk_include "${dir}")
  endif()
endforeach()
if(itk_include)
  file(READ "${itk_include}/itk_compiler_detection.h" detection)
  string(FIND "${detection}" "ITK_COMPILER_INFO_Clang_CXX.h" has_clang)
endif()
# Written only when missing or different: a new time stamp would rebuild everything.
function(tessera_write_if_different path text)
  if(EXISTS "${path}")
    file(READ "${path}" old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE "${path}" "${text}")
  endif()
endfunction()

if(itk_include AND has_clang EQUAL -1)
  set(shadow "${CMAKE_BINARY_DIR}/ITKForClang")
  file(MAKE_DIRECTORY "${shadow}/compilers")
  file(GLOB entries RELATIVE "${itk_include}" "${itk_include}/*" "${itk_include}/compilers/*")
  list(REMOVE_ITEM entries compilers itk_compiler_detection.h)
  foreach(entry ${entries})
    if(NOT IS_SYMLINK "${shadow}/${entry}")
      file(CREATE_LINK "${itk_include}/${entry}" "${shadow}/${entry}" SYMBOLIC)
    endif()
  endforeach()
  string(REPLACE "#  if ITK_COMPILER_IS_GNU\n\n#    include \"compilers/ITK_COMPILER_INFO_GNU_CXX.h\""
                 "#  if ITK_COMPILER_IS_GNU || ITK_COMPILER_IS_Clang\n\n#    include \"compilers/ITK_COMPILER_INFO_Clang_CXX.h\""
                 detection "${detection}")
  tessera_write_if_different("${shadow}/itk_compiler_detection.h" "${detection}")
  file(READ "${itk_include}/compilers/ITK_COMPILER_INFO_GNU_CXX.h" gnu_info)
  string(REPLACE "(__GNUC__ * 100 + __GNUC_MINOR__)" "1200" gnu_info "${gnu_info}")
  tessera_write_if_different("${shadow}/compilers/ITK_COMPILER_INFO_Clang_CXX.h" "${gnu_info}")
  include_directories(BEFORE SYSTEM "${shadow}")
  list(PREPEND ITK_INCLUDE_DIRS "${shadow}")
endif()
