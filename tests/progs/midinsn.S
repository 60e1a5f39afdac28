/* midinsn: a constant that names the middle of an instruction, in code without call frame
 * information (as libcurl's mov $0x10900 names the middle of crtstuff's register_tm_clones).
 * Stripped, fntrace must not take it for a function: a breakpoint there would turn
 * sub %rdi,%rsi into sub %rcx,%rsp. Built as a non-PIE program, where the constant is
 * written at link time, and (with NOFDE_CONST, the link-time address of nofde + 16, where an
 * instruction starts) as a PIE, where no immediate is an address. Exits with nofde's 1. */
	.text
	.globl	main
	.type	main, @function
main:
	.cfi_startproc
	subq	$8, %rsp
	.cfi_def_cfa_offset 16
#ifdef NOFDE_CONST
	movl	$NOFDE_CONST, %edx
#else
	movl	$(nofde + 16), %edx
#endif
	movl	$41, %edi
	movabsq	$0x100000000, %rcx
	call	nofde
	addq	$8, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	main, .-main

	.p2align 4
	.type	nofde, @function
nofde:				/* no FDE: returns 1 */
	movq	%rdi, %rsi		/* 0: 3 bytes */
	addq	$1, %rsi		/* 3: 4 bytes */
	movl	$7, %eax		/* 7: 5 bytes */
#ifdef NOFDE_CONST
	.byte	0x66, 0x66, 0x90	/* 12: 3-byte nop, so that the sub starts at 16 */
	nop				/* 15 */
	subq	%rdi, %rsi		/* 16: 3 bytes */
#else
	xchg	%ax, %ax		/* 12: 2-byte nop */
	subq	%rdi, %rsi		/* 14: 3 bytes, its ModRM at 16 */
#endif
	movl	%esi, %eax
	ret
	.size	nofde, .-nofde

	.section .note.GNU-stack,"",@progbits
