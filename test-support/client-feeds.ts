import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The client's own files: ventes.csv, produits.csv, magasins.csv. */
export const CLIENT_DATA = path.resolve(import.meta.dirname, '..', 'data', 'pme');

export const SALES_HEADER = 'Date,ID Référence produit,Quantité,ID Magasin\r\n';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sp-producer-'));
}

/** `produce`'s arguments for the client's files; `sales` replaces their ventes.csv. */
export function clientFileArgs(sales = path.join(CLIENT_DATA, 'ventes.csv')): string[] {
  return [
    '--sales',
    sales,
    '--products',
    path.join(CLIENT_DATA, 'produits.csv'),
    '--stores',
    path.join(CLIENT_DATA, 'magasins.csv'),
  ];
}

/** Writes a sales feed in the client's format (CRLF, French header) of `rows` generated rows. */
export function writeSalesCsv(file: string, rows: number): void {
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, SALES_HEADER);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `2024-01-${String((i % 28) + 1).padStart(2, '0')},REF00${(i % 5) + 1},${(i % 9) + 1},${(i % 7) + 1}\r\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = '';
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
}
