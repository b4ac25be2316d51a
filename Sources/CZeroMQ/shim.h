#ifndef TROUPE_CZEROMQ_SHIM_H
#define TROUPE_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
