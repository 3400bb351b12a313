// Barrier over the Transport interface.
#pragma once

#include "ronde/core/transport.h"

namespace ronde {

// Returns once every rank has called it: ceil(log2 n) rounds; in round k each rank signals
// rank + 2^k and waits for rank - 2^k (mod n). After the last round every rank has heard,
// directly or through others, from every rank.
void dissemination_barrier(Transport& transport);

}  // namespace ronde
