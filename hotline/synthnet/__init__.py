"""A synthetic internet on loopback for tests and `hotline demo`.

    from hotline.synthnet import SyntheticInternet
    with SyntheticInternet() as net:                         # default_sites=True installs sites.py
        net.add_host("gallery.example-synth.ro", country="RO")    # DNS answers a public-looking RO address
        net.add_page("gallery.example-synth.ro", "/", html="<img src='/a.png'>")
        net.add_image("gallery.example-synth.ro", "/a.png", seed=1)
        os.environ.update(net.env())                               # point the product at the net

Pieces (all on loopback, free ports, daemon threads, stopped by __exit__ with no sleeps):
- farm (`farm_port` on 127.0.0.1): one HTTP/1.1 server for every synthetic host, chosen by the Host
  header (port stripped); a host with no routes of its own is served as its CNAME target.
- HTTPS farm (`farm_tls_port`): the same routes over TLS, a certificate per host name (SNI) issued by a
  throw-away CA (`ca_pem`); CONNECT host:443 through the proxy lands here.
- private listener (`private_address`:`private_port`, 127.0.0.2 when bindable): stands for an internal
  network. `private_hits` counts every connection it ever accepted, `private_requests` lists
  (host, path). SSRF tests assert `net.private_hits == 0`.
- DNS (`dns_nameserver`, UDP and TCP): A/AAAA/CNAME/NS/SOA, CNAME chains followed, NXDOMAIN, SERVFAIL,
  drop (never answers), rebinding (A alternates public / `private_address`), `dns_queries`.
- egress proxy (`proxy_url`): absolute-URI requests (any method) and CONNECT. Routing by host: names
  whose addresses are public (or the farm's own 127.0.0.1) go to the farm; names answering anything
  else and non-public IP literals in any spelling (2130706433, 0x7f.1, [::ffff:127.0.0.1]) go to the
  private listener, so a leak is counted; unknown names and public literals outside the net get 502
  and no connection. It never connects beyond loopback. It resolves through the same zone, so a
  rebinding name flips between the product's check and the proxy; an IP-literal URI keeps the
  client's Host header, which lets a capture pin the address it checked (`GET http://5.2.130.10/p`
  with `Host: site`, or `CONNECT 5.2.130.10:443` with SNI). `proxy_log` lists (method, target, route).
  Responses are relayed as they arrive; bodies of known length keep the client connection alive.
- RDAP (`rdap_url`, `rdap`): /ip/<addr>, /autnum/<n>, /entity/<handle> in the five registries' styles
  (rdap_json.py); 404 for unknown networks; `rdap.serve_raw(cidr, json)`, `rdap.rate_limit(n,
  retry_after)` (429), `rdap.slow_down(n, seconds)`, `rdap.queries`, `rdap.ip_queries`.

API of SyntheticInternet (net.py):
    SyntheticInternet(default_sites: bool = True, address: str = "127.0.0.1"); start()/stop(), with-block
    env() -> {"HOTLINE_DNS_NAMESERVERS", "HOTLINE_EGRESS_PROXY", "HOTLINE_RDAP_URL"}
    add_host(host, ips=None, country="RO", ns=None) -> ips   (no ips: next free address in country:
        RO NL DE US JP BR ZA CLOUDFLARE FASTLY, see networks.py); add_cname(alias, target)
    add_servfail(host); add_dns_timeout(host); add_rebinding(host, public_ip=None); remove_host(host)
    take_offline(host) / bring_online(host): server down (proxy 502 "connection refused", no connect)
    add_page(host, path, html="", status=200, headers=None) -> url
    add_image(host, path, seed=1, fmt="PNG"|"JPEG"|"GIF"|"WEBP", size=(256, 256), animated=False) -> url
    add_bytes(host, path, body, content_type, status=200, headers=None) -> url
    add_redirect(host, path, location, status=302) -> url        (301/302/303/307/308)
    add_response(host, path, Response) -> url   e.g. hostile.oversized(), gzip_bomb(), trickle(),
        slow_headers(), hang(); farm.put_prefix(host, "/loop", hostile.endless_redirects("/loop"))
    add_disguised(host, path, html, decoy_html, referer_prefix=None, user_agent_contains=None) -> url
    add_bulk_pages(host, count, images_per_page=3, size=(64, 64), distinct_pixels=False) -> [url]
    remove(host, path, status=404); restore(host, path); url(host, path); private_url(path)
    hits [(host, path)], requests [RequestRecord(host, path, method, headers)], farm_open_connections
    sites: DefaultSites (sites.py; list(net.sites) == the three demo URLs), default_urls() -> {name: url}

`python -m hotline.synthnet` runs it until Ctrl-C and prints the HOTLINE_* exports and the site URLs.

Public addresses are strings from real allocated blocks (networks.py); nothing connects to them. For
direct (proxy-less) loopback tests register names on 127.0.0.1 and allow only 127.0.0.1/32, never
127.0.0.0/8 (the private listener lives on 127.0.0.2).
"""

from hotline.synthnet import hostile
from hotline.synthnet.farm import RequestRecord, Response
from hotline.synthnet.net import SyntheticInternet
from hotline.synthnet.proxy import ProxyRecord
from hotline.synthnet.sites import DefaultSites

__all__ = ["DefaultSites", "ProxyRecord", "RequestRecord", "Response", "SyntheticInternet", "hostile"]
