/**
 * dp_accounting's default RDP orders (google/differential-privacy,
 * python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant.py,
 * DEFAULT_RDP_ORDERS): 1.1, 1.2, …, 10.9 (1 + x/10 for x = 1…99), the integers
 * 11…63, then 128, 256, 512, 1024. 156 orders, chosen there for good coverage of
 * the Gaussian mechanism in the privacy regimes of interest.
 */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  128,
  256,
  512,
  1024,
]);
