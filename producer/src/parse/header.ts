/** Which file a feed is: its rows become sales, products or stores. */
export type FeedKind = 'sales' | 'products' | 'stores';

/** Canonical column names of each kind, with the header spellings they accept (normalized). */
const COLUMNS: Record<FeedKind, Record<string, { aliases: string[]; required: boolean }>> = {
  sales: {
    date: { aliases: ['date', 'date de vente', 'jour', 'sold on', 'sale date'], required: true },
    product_id: {
      aliases: [
        'id reference produit',
        'reference produit',
        'id produit',
        'ref produit',
        'product id',
        'product',
      ],
      required: true,
    },
    quantity: { aliases: ['quantite', 'qte', 'quantity', 'qty'], required: true },
    store_id: { aliases: ['id magasin', 'magasin', 'store id', 'store'], required: true },
    // Optional: the sale's own id (then it is the sale's identity), and its status (cancelled or not).
    sale_id: {
      aliases: ['id vente', 'id de vente', 'numero de vente', 'no vente', 'sale id', 'transaction id'],
      required: false,
    },
    status: { aliases: ['statut', 'status', 'etat', 'state'], required: false },
  },
  products: {
    name: { aliases: ['nom', 'nom produit', 'name', 'product name'], required: true },
    product_id: {
      aliases: ['id reference produit', 'reference produit', 'id produit', 'ref produit', 'product id'],
      required: true,
    },
    price: { aliases: ['prix', 'prix unitaire', 'price', 'unit price'], required: true },
    stock: { aliases: ['stock', 'quantite en stock'], required: false },
  },
  stores: {
    store_id: { aliases: ['id magasin', 'magasin', 'store id'], required: true },
    city: { aliases: ['ville', 'city'], required: true },
    employees: { aliases: ['nombre de salaries', 'salaries', 'employes', 'employees'], required: false },
  },
};

/** The header of each kind of feed as the client's spreadsheet exports it (data/pme/). */
export const EXPECTED_HEADER: Record<FeedKind, string> = {
  sales: 'Date,ID Référence produit,Quantité,ID Magasin',
  products: 'Nom,ID Référence produit,Prix,Stock',
  stores: 'ID Magasin,Ville,Nombre de salariés',
};

/** Field index of each canonical column, by name. */
export type ColumnMap = Record<string, number>;

/** Strips a BOM, accents, case and punctuation: `"ID Référence produit"` → `"id reference produit"`. */
export function normalizeHeaderName(name: string): string {
  return name
    .replace(/^\uFEFF/, '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The separator a header line uses: the most frequent of `;`, `,` and tab (`,` when none). */
export function detectDelimiter(headerLine: string): string {
  const counts = [';', ',', '\t'].map((d) => [d, headerLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  const best = counts[0];
  return best && best[1] > 0 ? best[0] : ',';
}

/** How many header fields a reason quotes: a header of thousands of columns must not flood every dead letter. */
export const QUOTED_HEADER_FIELDS = 10;

/** The first header fields, quoted and cut at 40 characters, and how many more there are. */
export function describeFields(fields: string[]): string {
  const quoted = fields.slice(0, QUOTED_HEADER_FIELDS).map((f) => JSON.stringify(f.slice(0, 40)));
  const more = fields.length - QUOTED_HEADER_FIELDS;
  return more > 0 ? `${quoted.join(', ')} and ${more} more` : quoted.join(', ');
}

/** Maps header fields to canonical columns, or says which required ones are missing. */
export function matchHeader(
  kind: FeedKind,
  fields: string[],
  /** More header names of a column (SALE_ID_COLUMN, SALE_STATUS_COLUMN), matched like the others. */
  extraAliases: Record<string, string | undefined> = {},
): { ok: true; columns: ColumnMap; width: number } | { ok: false; reason: string } {
  const normalized = fields.map(normalizeHeaderName);
  const columns: ColumnMap = {};
  const missing: string[] = [];
  for (const [column, spec] of Object.entries(COLUMNS[kind])) {
    const extra = extraAliases[column];
    const aliases = extra ? [normalizeHeaderName(extra), ...spec.aliases] : spec.aliases;
    const index = normalized.findIndex((name) => aliases.includes(name));
    if (index >= 0) columns[column] = index;
    else if (spec.required) missing.push(column);
  }
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `header of a ${kind} feed lacks column(s) ${missing.join(', ')} (found: ${describeFields(fields)})`,
    };
  }
  return { ok: true, columns, width: fields.length };
}
