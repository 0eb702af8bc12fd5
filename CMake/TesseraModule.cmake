# tessera_module(<Name> [SHARED] SOURCES ... DEPENDS ... [TESTS ...] [TEST_DEPENDS ...])
# Declares library Tessera<Name> (alias Tessera::<Name>) from the module's src/, its public
# include/ folder, and one GoogleTest executable per test source in test/. SHARED: a shared library
# in lib/, so that programs and the modules they load on first use (tesseraModuleLoader.h) share
# one copy of it and of its state.
set(TESSERA_WARNINGS -Wall -Wextra)

function(tessera_module name)
  cmake_parse_arguments(M "SHARED" "" "SOURCES;DEPENDS;TESTS;TEST_DEPENDS" ${ARGN})
  set(target Tessera${name})
  if(M_SHARED)
    add_library(${target} SHARED ${M_SOURCES})
  else()
    add_library(${target} ${M_SOURCES})
  endif()
  add_library(Tessera::${name} ALIAS ${target})
  # ITK headers are system headers: our warnings, not theirs.
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_include_directories(${target} SYSTEM PUBLIC ${ITK_INCLUDE_DIRS})
  target_link_libraries(${target} PUBLIC ${M_DEPENDS})
  target_compile_options(${target} PRIVATE ${TESSERA_WARNINGS})
  # Stages draw their overlays and charts through Figures (tesseraFigureFiles.h), which Common loads
  # on first use and nothing links: every program that links a module is built after it.
  if(NOT name MATCHES "^(Common|Figures)$")
    add_dependencies(${target} TesseraFigures)
  endif()
  if(TESSERA_BUILD_TESTING AND M_TESTS)
    foreach(test_source ${M_TESTS})
      get_filename_component(test_name ${test_source} NAME_WE)
      add_executable(${test_name} ${test_source})
      target_link_libraries(${test_name} PRIVATE ${target} ${M_TEST_DEPENDS} GTest::gtest_main)
      if(name STREQUAL "Common")
        add_dependencies(${test_name} TesseraFigures)
      endif()
      target_compile_options(${test_name} PRIVATE ${TESSERA_WARNINGS})
      target_compile_definitions(${test_name} PRIVATE
        TESSERA_DATA_DIR="${TESSERA_DATA_DIR}"
        TESSERA_ITK_EXAMPLES_DIR="${TESSERA_ITK_EXAMPLES_DIR}"
        TESSERA_SKIMAGE_DATA_DIR="${TESSERA_SKIMAGE_DATA_DIR}"
        TESSERA_STARS_DATA_DIR="${TESSERA_STARS_DATA_DIR}"
        # Scripts beside the tests (__FILE__ is relative under ccache's base_dir).
        TESSERA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/test")
      gtest_discover_tests(${test_name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
    endforeach()
  endif()
endfunction()

# tessera_loaded_module(<Name> LOADED_BY <target> SOURCES ... DEPENDS ...)
# Declares lib/libTessera<Name>.so, a module loaded on first use by ModuleSymbol/ModuleRun
# (tesseraModuleLoader.h) and linked by nothing, so its heavy libraries cost only the commands
# that call it. It is built before <target>, the library that loads it, and so before every
# program that could.
function(tessera_loaded_module name)
  cmake_parse_arguments(M "" "LOADED_BY" "SOURCES;DEPENDS" ${ARGN})
  set(target Tessera${name})
  add_library(${target} MODULE ${M_SOURCES})
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_include_directories(${target} SYSTEM PRIVATE ${ITK_INCLUDE_DIRS})
  target_link_libraries(${target} PRIVATE ${M_DEPENDS})
  target_compile_options(${target} PRIVATE ${TESSERA_WARNINGS})
  add_dependencies(${M_LOADED_BY} ${target})
endfunction()
