/**
 * The platform's money parser, for the server and the page alike. The browser cannot resolve a package
 * name (no bundler, no import map under the page's CSP): the dashboard server serves
 * @sales-pipeline/platform's compiled money.js, which imports nothing, at this module's URL
 * (/js/shared/money.js, see loadAssets in server/http-server.ts).
 */
export { fromCents, toCents } from '@sales-pipeline/platform/money';
