/**
 * An amount in equal installments (minor units): the remainder spread one minor unit each over the
 * first parts, so no part is ever more than one minor unit off another (€10.01 in 3 is 3.34 + 3.34 +
 * 3.33). The host schedules a plan with it; the screen says with it what the first part is while the
 * plan is on its way.
 */
export function installmentAmounts(amount: number, count: number): number[] {
  const part = Math.floor(amount / count);
  const rest = amount - part * count;
  return Array.from({ length: count }, (_, index) => (index < rest ? part + 1 : part));
}
