#pragma once

namespace roux::cli {

/// The roux command line. Returns the process exit code (see exit_code.h).
int run(int argc, char** argv);

}  // namespace roux::cli
