/* transport.c - helpers common to every transport. */
#include "eddy/transport.h"

#include <stdlib.h>

void transport_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
