// Step "migrate": applies the database migrations of the version being promoted. Railyard passes the release as
// environment variables; the idempotency key is the same for every attempt of this step of this run, so the
// service applies the migration once even when the step runs twice.
const { SHOP_URL, RAILYARD_VERSION, RAILYARD_IDEMPOTENCY_KEY, RAILYARD_ATTEMPT } = process.env;

console.log(`migrating the database for ${RAILYARD_VERSION} (attempt ${RAILYARD_ATTEMPT})`);
const response = await fetch(`${SHOP_URL}/migrations`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ version: RAILYARD_VERSION, key: RAILYARD_IDEMPOTENCY_KEY }),
}).catch((error) => {
  console.error(`cannot reach ${SHOP_URL}: ${error.cause?.code ?? error.message}`);
  process.exit(1);
});
console.log(`${response.status} ${(await response.text()).trim()}`);
process.exit(response.ok ? 0 : 1);
