from gateway.store.models.accounts import Role
from tests.web.support import login, make_account


async def test_smoke(client, web_components):
    who = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, who) == 303
    for path in [
        "/wachtrij",
        "/hulpvragen",
        "/scholen",
        "/verificatiecodes",
        "/koppelcheck",
        "/audit",
        "/accounts",
        "/koppelcheck/14SS00",
        "/scholen/import",
    ]:
        r = await client.get(path)
        print(path, r.status)
        assert r.status == 200, (path, (await r.text())[:3000])
