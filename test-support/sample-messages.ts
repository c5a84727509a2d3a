import type { Message } from 'kafkajs';

/** A sale message as the producer publishes it (its id made of feed, generation 0 and line). */
export function sale(
  feed: string,
  line: number,
  productId: string,
  storeId: string,
  quantity: number,
): Message {
  const saleId = `${feed}/0/${line}`;
  return {
    key: saleId,
    value: JSON.stringify({
      sale_id: saleId,
      feed,
      generation: 0,
      line,
      sold_on: '2024-03-01',
      product_id: productId,
      store_id: storeId,
      quantity,
    }),
  };
}

export function product(id: string, name: string, price: string): Message {
  return { key: id, value: JSON.stringify({ product_id: id, name, unit_price: price, stock: 10 }) };
}

export function store(id: string, city: string): Message {
  return { key: id, value: JSON.stringify({ store_id: id, city, employees: 3 }) };
}
