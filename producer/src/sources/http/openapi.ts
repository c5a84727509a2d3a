/** The ingest API as an OpenAPI 3.1 document, served at GET /v1/openapi.json. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'sales-pipeline ingest',
    version: '1.0.0',
    description:
      'Tills and shop systems push sales; each is stored exactly once and acknowledged only once it is committed in Kafka.',
  },
  servers: [{ url: 'http://127.0.0.1:8091' }],
  security: [{ bearer: [] }],
  paths: {
    '/v1/sales': {
      post: {
        operationId: 'postSales',
        summary: 'Post a batch of sales',
        description:
          'A sale is identified by (source, id). 200 only once every sale of the request is committed in Kafka, in one ' +
          'transaction. The same id with the same values again is a duplicate (not an error); with other values, an ' +
          'amendment that replaces the sale. An invalid sale is rejected alone, with its reason, and kept as a rejected row.',
        parameters: [
          {
            name: 'source',
            in: 'query',
            required: false,
            description: 'The source of a text/csv body (JSON bodies carry it).',
            schema: { $ref: '#/components/schemas/Source' },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/Batch' } },
            'text/csv': {
              schema: {
                type: 'string',
                description:
                  "The sales feed's header plus a sale-id column (`ID Vente,Date,ID Référence produit,Quantité,ID Magasin`), then a sale a line.",
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'Every valid sale is committed (or was already).',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Result' } } },
          },
          '400': { $ref: '#/components/responses/Problem' },
          '401': { $ref: '#/components/responses/Problem' },
          '403': { $ref: '#/components/responses/Problem' },
          '413': { $ref: '#/components/responses/Problem' },
          '415': { $ref: '#/components/responses/Problem' },
          '429': { $ref: '#/components/responses/Retry' },
          '503': { $ref: '#/components/responses/Retry' },
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: '200 while Kafka is reachable',
        security: [],
        responses: {
          '200': { description: 'Kafka is reachable' },
          '503': { description: 'Kafka is not reachable' },
        },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'The OpenAPI document', content: { 'application/json': {} } } },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Source: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', examples: ['pos-lyon'] },
      Sale: {
        type: 'object',
        required: ['id', 'date', 'product_id', 'quantity', 'store_id'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          date: { type: 'string', format: 'date', examples: ['2023-05-27'] },
          product_id: { type: 'string', examples: ['REF001'] },
          quantity: {
            type: 'integer',
            description: 'Negative: a return. Never 0; at most QUANTITY_MAX either way.',
          },
          store_id: { type: 'string', examples: ['3'] },
        },
      },
      Batch: {
        type: 'object',
        required: ['source', 'sales'],
        properties: {
          source: { $ref: '#/components/schemas/Source' },
          sales: { type: 'array', maxItems: 10000, items: { $ref: '#/components/schemas/Sale' } },
        },
      },
      Result: {
        type: 'object',
        required: ['accepted', 'duplicates', 'rejected'],
        properties: {
          accepted: {
            type: 'integer',
            description: 'Sales committed by this request (new ones and amendments).',
          },
          amended: {
            type: 'integer',
            description: 'Of the accepted, those that replaced an earlier version.',
          },
          duplicates: { type: 'integer', description: 'Sales already stored with the same values.' },
          rejected: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'id', 'reason'],
              properties: {
                index: { type: 'integer' },
                id: { type: ['string', 'null'] },
                reason: { type: 'string' },
              },
            },
          },
        },
      },
      Problem: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' } },
      },
    },
    responses: {
      Problem: {
        description: 'The request was refused; `error` says why.',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
      Retry: {
        description: 'Try again after Retry-After seconds; nothing of the request was acknowledged.',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    },
  },
} as const;
