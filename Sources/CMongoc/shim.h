#ifndef ROLLGATE_CMONGOC_SHIM_H
#define ROLLGATE_CMONGOC_SHIM_H
#include <mongoc/mongoc.h>
#include <bson/bson.h>
#endif
