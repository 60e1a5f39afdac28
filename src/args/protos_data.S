/* protos_data: the shipped prototype list (protos.list), built into fntrace as one NUL-terminated
 * string, so that fntrace needs no data file installed beside it. */
	.section .rodata
	.globl args_protos_list
	.type args_protos_list, @object
args_protos_list:
	.incbin "src/args/protos.list"
	.byte 0
	.size args_protos_list, . - args_protos_list
	.section .note.GNU-stack, "", @progbits
