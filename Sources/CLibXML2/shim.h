#ifndef ROLLGATE_CLIBXML2_SHIM_H
#define ROLLGATE_CLIBXML2_SHIM_H
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
#include <libxml/globals.h>

/* xmlFree is a global function pointer, which Swift 6 rejects as shared mutable state. */
static inline void rollgate_xml_free(void *pointer) { xmlFree(pointer); }
#endif
