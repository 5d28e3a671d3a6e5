// Step "deploy": tells the service to run the version being promoted. Deploying a version that already runs
// changes nothing, which is why the plan declares this step idempotent.
const { SHOP_URL, RAILYARD_VERSION, RAILYARD_IDEMPOTENCY_KEY, RAILYARD_ATTEMPT } = process.env;

console.log(`deploying ${RAILYARD_VERSION} to ${SHOP_URL} (attempt ${RAILYARD_ATTEMPT})`);
const response = await fetch(`${SHOP_URL}/deploy`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'idempotency-key': RAILYARD_IDEMPOTENCY_KEY },
  body: JSON.stringify({ version: RAILYARD_VERSION }),
}).catch((error) => {
  console.error(`cannot reach ${SHOP_URL}: ${error.cause?.code ?? error.message}`);
  process.exit(1);
});
console.log(`${response.status} ${(await response.text()).trim()}`);
process.exit(response.ok ? 0 : 1);
