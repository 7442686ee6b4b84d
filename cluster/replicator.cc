#include "cluster/replicator.h"
