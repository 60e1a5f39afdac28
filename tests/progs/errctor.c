/* errctor: links liberrctor.so, whose constructor fails calls before _start. */
int errctor_api(int x);

int main(void)
{
	return errctor_api(-1);
}
