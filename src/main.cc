#include "cli/cli.h"

int main(int argc, char** argv) { return roux::cli::run(argc, argv); }
