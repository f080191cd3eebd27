#include <gmp.h>

/* mpn_redc_1 (Montgomery reduction by one-limb steps) is exported by libgmp (6.x) but declared
 * only in GMP's internal gmp-impl.h: rp = {up, 2n}·B^-n mod {mp, n} up to one subtraction, for
 * invm = −1/mp[0] mod B; {up, 2n} is destroyed; returns the carry out of the top limb (the result
 * is rp + carry·B^n, to be reduced by one subtraction of mp). specs/groth16.md §2. */
mp_limb_t __gmpn_redc_1(mp_ptr rp, mp_ptr up, mp_srcptr mp, mp_size_t n, mp_limb_t invm);
