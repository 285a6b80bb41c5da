/* Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks:
 * Rust's standard library imports ProcessPrng from it (random HashMap keys).
 * scripts/windows-check.sh builds it next to exlog.exe to run the exe under
 * Wine; it is never shipped. ProcessPrng fills the buffer from RtlGenRandom
 * (advapi32's SystemFunction036), in pieces a ULONG can count. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
