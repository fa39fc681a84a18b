#!/bin/bash
# cli/ sees the engine only through the embedding API (include/eddy/eddy.h)
# and chooses a transport through include/eddy/transport.h (both bring
# base.h); its own headers sit beside it.  Any other include of an eddy
# header from cli/ fails this test, naming the line.
src=${1:?usage: cli_includes.sh SOURCE_DIR}
bad=$(grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src"/cli/*.c "$src"/cli/*.h |
      grep -v -E '#[[:space:]]*include[[:space:]]*"(eddy/(eddy|transport|base)\.h|[^/"]+)"')
if [ -n "$bad" ]; then
    echo "cli/ includes engine headers other than eddy.h and transport.h:"
    echo "$bad"
    exit 1
fi
echo "cli/ includes only eddy/eddy.h, eddy/transport.h, eddy/base.h and its own headers"
