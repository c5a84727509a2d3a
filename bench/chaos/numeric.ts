/** A PostgreSQL numeric as text (`12.5`, `12.50`) in cents; null stays null. */
export const cents = (text: string | null): bigint | null => {
  if (text === null) return null;
  const [units, decimals = ''] = text.split('.');
  return BigInt(units ?? '0') * 100n + BigInt(decimals.padEnd(2, '0').slice(0, 2));
};
