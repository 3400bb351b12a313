# Sourced by the scripts: settings for running Open MPI on a development machine or in CI.
# mpirun as root needs explicit consent; oversubscription lets tests run more ranks than cores;
# the shared-memory transport is all a single host needs (and starts fastest).
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl=self,vader
RONDE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RONDE_ROOT
