import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The client's formats (see data/pme): French headers, CRLF, decimal point prices. */
export const SALES_HEADER = 'Date,ID Référence produit,Quantité,ID Magasin\r\n';

/** Five products (price in cents) and seven stores in known cities. */
export const PRODUCTS = [
  { id: 'REF001', name: 'Produit A', cents: 4999 },
  { id: 'REF002', name: 'Produit B', cents: 1999 },
  { id: 'REF003', name: 'Produit C', cents: 2999 },
  { id: 'REF004', name: 'Produit D', cents: 999 },
  { id: 'REF005', name: 'Produit E', cents: 14999 },
];
export const STORES = ['Paris', 'Marseille', 'Lyon', 'Toulouse', 'Nice', 'Nantes', 'Strasbourg'];

/** The sale on 0-based row `i` of a generated feed (physical line `i + 2`, after the header). */
export function saleRow(i: number) {
  const product = PRODUCTS[i % PRODUCTS.length] as (typeof PRODUCTS)[number];
  const quantity = (i % 9) + 1;
  return {
    line: i + 2,
    soldOn: `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
    productId: product.id,
    storeId: String((i % STORES.length) + 1),
    quantity,
    unitCents: product.cents,
    amountCents: product.cents * quantity,
  };
}

export const csvLine = (i: number) => {
  const s = saleRow(i);
  return `${s.soldOn},${s.productId},${s.quantity},${s.storeId}\r\n`;
};

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
export { money };

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
}

/** Writes products.csv and stores.csv into `dir`; returns their paths. */
export function writeReferenceFiles(dir: string): { products: string; stores: string } {
  const products = path.join(dir, 'produits.csv');
  const stores = path.join(dir, 'magasins.csv');
  fs.writeFileSync(
    products,
    'Nom,ID Référence produit,Prix,Stock\r\n' +
      PRODUCTS.map((p) => `${p.name},${p.id},${money(p.cents)},100\r\n`).join(''),
  );
  fs.writeFileSync(
    stores,
    'ID Magasin,Ville,Nombre de salariés\r\n' + STORES.map((city, i) => `${i + 1},${city},5\r\n`).join(''),
  );
  return { products, stores };
}

/** Writes a feed of `rows` sales (header + rows, CRLF) to `file`. */
export function writeFeed(file: string, rows: number): void {
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, SALES_HEADER);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += csvLine(i);
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = '';
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
}

/** The columns of `sales` that a row of the feed fills, as COPY text; the row the pipeline stores. */
export const SALES_COLUMNS =
  'sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number';
export function salesCopyLine(feed: string, i: number): string {
  const s = saleRow(i);
  return `${feed}/0/${s.line}\t${s.soldOn}\t${s.productId}\t${s.storeId}\t${s.quantity}\t${money(s.unitCents)}\t${money(s.amountCents)}\tcomplete\t${feed}\t${s.line}\n`;
}

/** Writes the feed's rows as they end up in `sales`, in COPY text format (the COPY reference's input). */
export function writeSalesCopyFile(file: string, feed: string, rows: number): void {
  const out = fs.openSync(file, 'w');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += salesCopyLine(feed, i);
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = '';
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
}
