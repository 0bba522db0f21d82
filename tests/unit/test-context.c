/* test-context.c - placeholder, replaced shortly. */
int
main(void)
{
  return 0;
}
