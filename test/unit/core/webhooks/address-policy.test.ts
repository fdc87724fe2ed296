import { describe, expect, it } from "vitest";
import { forbiddenAddressReason } from "../../../../src/core/webhooks/address-policy.js";
import { literalTargetReason } from "../../../../src/core/webhooks/url-policy.js";

describe("forbiddenAddressReason", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.10", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "unique local"],
    ["fd12:3456::1", "unique local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:a00:1", "private"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:7f00:1::1", "loopback"],
    ["64:ff9b:1::a00:1", "local-use NAT64"],
    ["64:ff9b:1:ffff::1", "local-use NAT64"],
    ["2002:c0a8:101::", "private"],
  ])("refuses %s (%s)", (address, reason) => {
    expect(forbiddenAddressReason(address)).toContain(reason);
  });

  it.each([
    ["93.184.215.14"],
    ["8.8.8.8"],
    ["1.1.1.1"],
    ["172.32.0.1"],
    ["172.15.255.255"],
    ["100.128.0.1"],
    ["169.255.0.1"],
    ["2606:4700:4700::1111"],
    ["2a00:1450:4001:80b::200e"],
    ["::ffff:8.8.8.8"],
    ["64:ff9b::808:808"],
    ["2002:808:808::1"],
  ])("allows the public address %s", (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });

  it.each([["example.com"], [""], ["1.2.3"], ["::g"]])("refuses %j, not an IP address", (value) => {
    expect(forbiddenAddressReason(value)).toBe("not an IP address");
  });
});

describe("literalTargetReason", () => {
  it.each([
    ["http://127.0.0.1/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://[::ffff:7f00:1]/", "loopback"],
    ["http://10.1.2.3/", "private"],
    ["http://169.254.169.254/latest", "link-local"],
    ["http://LOCALHOST:80/", "loopback name"],
    ["http://api.localhost./", "loopback name"],
  ])("%s is refused without DNS (%s)", (url, reason) => {
    expect(literalTargetReason(new URL(url))).toEqual(expect.stringContaining(reason));
  });

  it.each([
    "https://example.com/cb",
    "http://93.184.215.14/",
    "http://[2606:4700::1111]/",
    "http://localhost.example/",
  ])("%s is left to DNS and delivery", (url) => {
    expect(literalTargetReason(new URL(url))).toBeNull();
  });
});
