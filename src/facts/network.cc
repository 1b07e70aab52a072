// Facts: network interfaces and their addresses, from getifaddrs(3) (one netlink dump, no commands).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "facts/facts.h"

namespace roux::facts {
namespace {

int prefix_len(const sockaddr* mask) {
  if (!mask) return 0;
  const unsigned char* p = nullptr;
  size_t n = 0;
  if (mask->sa_family == AF_INET) {
    p = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    n = 4;
  } else if (mask->sa_family == AF_INET6) {
    p = reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr;
    n = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < n; ++i) bits += __builtin_popcount(p[i]);
  return bits;
}

}  // namespace

void gather_network(Facts& f) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return;
  std::map<std::string, Interface> by_name;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_name) continue;
    Interface& i = by_name[a->ifa_name];
    i.name = a->ifa_name;
    i.up = i.up || (a->ifa_flags & IFF_UP);
    i.loopback = i.loopback || (a->ifa_flags & IFF_LOOPBACK);
    if (!a->ifa_addr) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    switch (a->ifa_addr->sa_family) {
      case AF_INET:
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
        i.ipv4.push_back(std::string(buf) + "/" + std::to_string(prefix_len(a->ifa_netmask)));
        break;
      case AF_INET6:
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, buf, sizeof buf);
        i.ipv6.push_back(std::string(buf) + "/" + std::to_string(prefix_len(a->ifa_netmask)));
        break;
      case AF_PACKET: {
        const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
        if (ll->sll_halen == 6) {
          char mac[18];
          std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", ll->sll_addr[0], ll->sll_addr[1],
                        ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
          if (std::string(mac) != "00:00:00:00:00:00") i.mac = mac;
        }
        break;
      }
      default: break;
    }
  }
  freeifaddrs(list);
  for (auto& [name, i] : by_name) {
    // The primary addresses: the first global ones of an interface that is up and not loopback.
    if (i.up && !i.loopback) {
      if (f.ipv4.empty() && !i.ipv4.empty()) f.ipv4 = i.ipv4.front().substr(0, i.ipv4.front().find('/'));
      for (const auto& a : i.ipv6)
        if (f.ipv6.empty() && a.rfind("fe80", 0) != 0) f.ipv6 = a.substr(0, a.find('/'));
    }
    f.interfaces.push_back(std::move(i));
  }
}

}  // namespace roux::facts
