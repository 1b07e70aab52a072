# Generated documentation and install rules (GNUInstallDirs). `cmake --install build` (or the
# .deb, see debian/) puts roux where a Debian host expects it:
#   /usr/bin/roux                                  the binary
#   /etc/roux/client.yaml                          commented example config (a conffile in the .deb)
#   /etc/cron.d/roux                               daily converge for hosts without systemd (commented out)
#   /etc/logrotate.d/roux                          rotates /var/log/roux/*.log (the cron line's log)
#   /lib/systemd/system/roux.{service,timer}       daily converge on systemd hosts
#   /usr/share/roux/schemas/                       the JSON schemas
#   /usr/share/man/man1/roux*.1                    roux(1) + one page per command, from --help
#   /usr/share/bash-completion/completions/roux    from the same command line
# /var/lib/roux (0700) and /var/log/roux are made by the package's postinst (roux itself also
# makes its state folder on first run).
include(GNUInstallDirs)

# Man pages and completion: the built binary prints them from its own CLI11 app (src/cli/docgen.cc),
# so they cannot drift from --help. Regenerated whenever roux is relinked.
set(ROUX_DOC_DIR ${CMAKE_CURRENT_BINARY_DIR}/doc)
add_custom_command(
  OUTPUT ${ROUX_DOC_DIR}/man/roux.1 ${ROUX_DOC_DIR}/roux.bash-completion
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${ROUX_DOC_DIR}/man
  COMMAND $<TARGET_FILE:roux> doc man --out-dir ${ROUX_DOC_DIR}/man
  COMMAND $<TARGET_FILE:roux> doc bash-completion --out ${ROUX_DOC_DIR}/roux.bash-completion
  # The schemas as installed: each $id names its installed file, so an editor pointed at them
  # resolves their relative $refs there (docs/host-resources.md).
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${ROUX_DOC_DIR}/schemas
  COMMAND $<TARGET_FILE:roux> doc schemas --out ${ROUX_DOC_DIR}/schemas
          --id-base file://${CMAKE_INSTALL_FULL_DATADIR}/roux/schemas/
  DEPENDS roux
  COMMENT "Generating roux man pages and bash completion from --help"
  VERBATIM)
add_custom_target(roux_docs ALL DEPENDS ${ROUX_DOC_DIR}/man/roux.1 ${ROUX_DOC_DIR}/roux.bash-completion)

# Debian 12 keeps unit files in /lib/systemd/system (debhelper and lintian expect them there);
# another prefix keeps them under the prefix, unless ROUX_SYSTEMD_UNIT_DIR says otherwise.
set(ROUX_SYSTEMD_UNIT_DIR "" CACHE PATH "where roux.service and roux.timer go (default: from the prefix)")
if(ROUX_SYSTEMD_UNIT_DIR)
  set(_roux_unit_dir ${ROUX_SYSTEMD_UNIT_DIR})
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_roux_unit_dir /lib/systemd/system)
else()
  set(_roux_unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

set(_roux_etc ${CMAKE_INSTALL_FULL_SYSCONFDIR})
install(TARGETS roux RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES packaging/client.yaml.example DESTINATION ${_roux_etc}/roux RENAME client.yaml)
install(FILES packaging/cron.d/roux DESTINATION ${_roux_etc}/cron.d)
install(FILES packaging/logrotate/roux DESTINATION ${_roux_etc}/logrotate.d)
install(FILES packaging/systemd/roux.service packaging/systemd/roux.timer DESTINATION ${_roux_unit_dir})
install(DIRECTORY ${ROUX_DOC_DIR}/schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/roux/schemas FILES_MATCHING PATTERN "*.json")
install(DIRECTORY ${ROUX_DOC_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
install(FILES ${ROUX_DOC_DIR}/roux.bash-completion DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME roux)

# The libraries roux opens on first use (libcurl, libgit2, libarchive; src/libs/dynlib.h) are not
# linked, so dpkg-shlibdeps cannot see them in the binary. This probe links all three and uses
# exactly the functions roux looks up (the same X-lists), so dpkg-shlibdeps run on it finds the
# packages and the minimum versions those functions need (debian/rules). Never installed.
option(ROUX_LIBS_PROBE "build roux_libs_probe (for the .deb's dependencies)" OFF)
if(ROUX_LIBS_PROBE)
  add_executable(roux_libs_probe packaging/libs_probe.cc)
  target_link_libraries(roux_libs_probe PRIVATE roux_libs CURL::libcurl PkgConfig::LIBGIT2 LibArchive::LibArchive ssh2)
endif()
