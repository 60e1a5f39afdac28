/* buildid: read the NT_GNU_BUILD_ID note through libelf. */
#include "buildid.h"

#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The note's descriptor as hex; false if the section holds no build-id. */
static bool note_hex(Elf_Data *data, char *hex, size_t hexlen)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4))
			continue;
		const unsigned char *id = (const unsigned char *)data->d_buf + desc_off;
		size_t n = 0;
		for (size_t i = 0; i < nh.n_descsz && n + 3 <= hexlen; i++)
			n += (size_t)snprintf(hex + n, hexlen - n, "%02x", id[i]);
		return n > 0;
	}
	return false;
}

int buildid_read(const char *path, char *hex, size_t hexlen)
{
	hex[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool found = false;
	for (Elf_Scn *scn = NULL; e && !found && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE && (data = elf_getdata(scn, NULL)))
			found = note_hex(data, hex, hexlen);
	}
	if (e)
		elf_end(e);
	close(fd);
	if (!found)
		hex[0] = 0;
	return found ? 0 : -1;
}
