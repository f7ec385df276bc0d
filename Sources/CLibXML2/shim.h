#ifndef ROLLGATE_CLIBXML2_SHIM_H
#define ROLLGATE_CLIBXML2_SHIM_H
/* Debian's libxml2 is built with ICU, so encoding.h includes the system ICU headers, whose enums clash with
   Foundation's own ICU copy (_FoundationICU). Nothing of RollGate's uses the two ICU fields this removes. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
#include <libxml/globals.h>

/* xmlFree is a global function pointer, which Swift 6 rejects as shared mutable state. */
static inline void rollgate_xml_free(void *pointer) { xmlFree(pointer); }
#endif
