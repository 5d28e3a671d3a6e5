// Rollback step "restore": puts back the version that ran before the one being promoted. It does nothing when
// that version no longer runs, so running it twice is harmless. Migrations are not undone: they are written to
// work with the previous version too (expand, then contract in a later release).
const { SHOP_URL, RAILYARD_VERSION } = process.env;

console.log(`rolling back ${RAILYARD_VERSION}`);
const response = await fetch(`${SHOP_URL}/rollback`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ from: RAILYARD_VERSION }),
}).catch((error) => {
  console.error(`cannot reach ${SHOP_URL}: ${error.cause?.code ?? error.message}`);
  process.exit(1);
});
console.log(`${response.status} ${(await response.text()).trim()}`);
process.exit(response.ok ? 0 : 1);
