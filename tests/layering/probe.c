/*
 * probe.c - links one layer's whole library (every object file, not only
 * those a program would pull in) against the layers below it and nothing
 * else (tests/layering/CMakeLists.txt).  A function of the layer that calls
 * up into a later layer leaves an undefined symbol, and the link fails.
 */
int main(void)
{
    return 0;
}
