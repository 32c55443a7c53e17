// SPDX-License-Identifier: GPL-2.0
/*
 * The node's UDP socket.  Datagrams are received in the socket's encap_rcv
 * callback, in softirq context: length and MAC are checked without the
 * node lock, the sender's address and the engine's handling under it.
 * The engine's datagrams are queued under the lock, and get their MAC and
 * are sent after it is dropped, through the UDP tunnel helpers, without
 * sleeping.  So the hashing, the costly part, never holds up the engine.
 */
#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "pxk.h"
#include "trace.h"
#include "core/wire.h"

/* Any nonzero type: encap_rcv sees every datagram, none is decapsulated. */
#define PXK_ENCAP_TYPE		1

/* Datagram headroom: the lower layers' headers in front of the payload. */
#define PXK_HEADROOM	(LL_MAX_HEADER + sizeof(struct ipv6hdr) + sizeof(struct udphdr))

/*
 * A queued datagram's destination, found under the node lock when it is
 * queued: the peer table changes under that lock while the node runs,
 * and the flush goes without it.
 */
struct pxk_cb {
	u32 to;
	struct pxk_addr addr;
};

static void pxk_mac(const struct pxk_key *k, const u8 *data, size_t len, u8 *out)
{
	blake2s(out, data, k->bytes, PXK_MAC_LEN, len, PAXOS_KEY_LEN);
}

static void pxk_key_free(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct pxk_key, rcu));
}

/*
 * Set the cluster key (cfg_lock held); NULL clears it.  Datagrams in
 * flight with the old key are dropped as bad MACs, as before.
 */
int pxk_udp_set_key(struct pxk_node *n, const u8 *key)
{
	struct pxk_key *k = NULL, *old;

	if (key) {
		k = kmalloc(sizeof(*k), GFP_KERNEL);
		if (!k)
			return -ENOMEM;
		memcpy(k->bytes, key, PAXOS_KEY_LEN);
	}
	old = rcu_replace_pointer(n->key, k, lockdep_is_held(&n->cfg_lock));
	if (old)
		call_rcu(&old->rcu, pxk_key_free);
	return 0;
}

static void count(struct pxk_node *n, unsigned int ctr)
{
	if (n->px)
		px_count(n->px, ctr);
	else
		n->shell[ctr]++;
}

/* Whether the datagram comes from @a. */
static bool from_addr(struct sk_buff *skb, const struct pxk_addr *a)
{
	if (ntohs(udp_hdr(skb)->source) != a->port)
		return false;
	if (a->v6)
		return skb->protocol == htons(ETH_P_IPV6) &&
		       ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &a->a6);
	return skb->protocol == htons(ETH_P_IP) && ip_hdr(skb)->saddr == a->v4;
}

/* The datagram's source must be the member it names (where it moves from). */
static bool from_member(const struct pxk_node *n, struct sk_buff *skb,
			const u8 *p, size_t len)
{
	const struct pxk_member *m = pxk_member_find(n, px_wire_sender(p, len));

	return m && (from_addr(skb, &m->addr) ||
		     (m->moving && from_addr(skb, &m->old)));
}

/*
 * Check a datagram's length and MAC without the node lock, under RCU (the
 * receive path holds it); *len loses the MAC.  Returns 0, or the counter
 * of the drop.
 */
static unsigned int check(struct pxk_node *n, const u8 *p, size_t *len)
{
	const struct pxk_key *k = rcu_dereference(n->key);
	u8 mac[PXK_MAC_LEN];
	bool flagged;

	if (*len < PX_HDR_LEN || *len > PX_MAX_DATAGRAM + PXK_MAC_LEN)
		return PAXOS_CTR_DROP_MALFORMED;
	flagged = px_wire_flags(p) & PX_WF_MAC;
	if (!k)
		return flagged ? PAXOS_CTR_DROP_BAD_MAC : 0;
	if (!flagged || *len < PX_HDR_LEN + PXK_MAC_LEN)
		return PAXOS_CTR_DROP_BAD_MAC;
	*len -= PXK_MAC_LEN;
	pxk_mac(k, p, *len, mac);
	if (crypto_memneq(mac, p + *len, PXK_MAC_LEN))
		return PAXOS_CTR_DROP_BAD_MAC;
	return 0;
}

/*
 * A sender whose id the peer table lacks, while we know no leader: maybe
 * a member of a configuration we have not learnt (a node that was down
 * while the members changed hears from a leader new to it).  Its
 * datagram goes to the engine, which decides (cluster, ballot,
 * configurations), and its source is where the answers go until a
 * configuration gives its address; an id the engine does not keep
 * leaves the table at the next sync.  With a leader known, such a
 * datagram is dropped: the leader brings us every configuration.  An id
 * the table has is never re-addressed here.  Lock held.
 */
static bool learn_sender(struct pxk_node *n, struct sk_buff *skb, u32 id)
{
	struct pxk_member *m;

	if (!id || id == n->id || pxk_member_find(n, id) ||
	    px_leader_id(n->px) || n->nmembers == ARRAY_SIZE(n->members))
		return false;
	m = &n->members[n->nmembers];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->addr.port = ntohs(udp_hdr(skb)->source);
	if (skb->protocol == htons(ETH_P_IPV6)) {
		m->addr.v6 = true;
		m->addr.a6 = ipv6_hdr(skb)->saddr;
	} else {
		m->addr.v4 = ip_hdr(skb)->saddr;
	}
	n->nmembers++;
	n->members_dirty = true;
	return true;
}

static int pxk_udp_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct pxk_node *n = rcu_dereference_sk_user_data(sk);
	unsigned int drop;
	size_t len;
	u8 *p;

	if (!n)
		goto free;
	if (skb_linearize(skb)) {
		trace_paxos_drop(n, PAXOS_CTR_DROP_NO_MEMORY, 0, skb->len);
		goto free;
	}
	len = skb->len - sizeof(struct udphdr);
	p = skb->data + sizeof(struct udphdr);
	drop = check(n, p, &len);
	spin_lock_bh(&n->lock);
	if (!n->px) {
		trace_paxos_drop(n, PAXOS_CTR_UNSPEC, px_wire_sender(p, len), len);
		goto unlock;
	}
	if (!drop && !from_member(n, skb, p, len) &&
	    !learn_sender(n, skb, px_wire_sender(p, len)))
		drop = PAXOS_CTR_DROP_UNKNOWN_SENDER;
	if (drop) {
		trace_paxos_drop(n, drop, px_wire_sender(p, len), len);
		count(n, drop);
		goto unlock;
	}
	px_receive(n->px, p, len, ktime_get_ns());
	pxk_after(n);
unlock:
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
free:
	kfree_skb(skb);
	return 0;
}

int pxk_udp_open(struct pxk_node *n)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = n,
		.encap_type = PXK_ENCAP_TYPE,
		.encap_rcv = pxk_udp_rcv,
	};
	struct udp_port_cfg cfg = {
		.local_udp_port = htons(n->addr.port),
		.use_udp_checksums = true,
		.use_udp6_tx_checksums = true,
		.use_udp6_rx_checksums = true,
	};
	struct socket *sock;
	int err;

	if (n->addr.v6) {
		cfg.family = AF_INET6;
		cfg.local_ip6 = n->addr.a6;
		cfg.ipv6_v6only = true;
	} else {
		cfg.family = AF_INET;
		cfg.local_ip.s_addr = n->addr.v4;
	}
	err = udp_sock_create(n->net, &cfg, &sock);
	if (err)
		return err;
	setup_udp_tunnel_sock(n->net, sock, &tcfg);
	rcu_assign_pointer(n->sock, sock);
	return 0;
}

void pxk_udp_close(struct pxk_node *n)
{
	struct socket *sock = rcu_dereference_protected(n->sock,
							lockdep_is_held(&n->cfg_lock));

	if (!sock)
		return;
	RCU_INIT_POINTER(n->sock, NULL);
	/* No receive callback or transmission uses it after this. */
	synchronize_net();
	udp_tunnel_sock_release(sock);
}

/*
 * Queue a datagram of the engine for member @to (node lock held, often in
 * softirq: GFP_ATOMIC), with room for the MAC pxk_udp_flush() appends.
 */
static void queue_to(struct pxk_node *n, u32 to, const struct pxk_addr *a,
		     const void *buf, size_t len)
{
	struct sk_buff *skb;

	BUILD_BUG_ON(sizeof(struct pxk_cb) > sizeof(skb->cb));
	skb = a ? alloc_skb(PXK_HEADROOM + len + PXK_MAC_LEN, GFP_ATOMIC) : NULL;
	if (!skb) {
		trace_paxos_drop(n, PAXOS_CTR_TX_ERRORS, to, len);
		count(n, PAXOS_CTR_TX_ERRORS);
		return;
	}
	skb_reserve(skb, PXK_HEADROOM);
	skb_put_data(skb, buf, len);
	((struct pxk_cb *)skb->cb)->to = to;
	((struct pxk_cb *)skb->cb)->addr = *a;
	skb_queue_tail(&n->txq, skb);
}

void pxk_udp_queue(struct pxk_node *n, u32 to, const void *buf, size_t len)
{
	const struct pxk_member *m = pxk_member_find(n, to);

	lockdep_assert_held(&n->lock);
	queue_to(n, to, m ? &m->addr : NULL, buf, len);
	/* A member that moves gets it where it is still, too. */
	if (m && m->moving)
		queue_to(n, to, &m->old, buf, len);
}

/* Flag the datagram as carrying a MAC, and append it. */
static void sign(struct sk_buff *skb, const struct pxk_key *k)
{
	size_t len = skb->len;
	u8 *p = skb->data;

	px_wire_set_flags(p, px_wire_flags(p) | PX_WF_MAC);
	pxk_mac(k, p, len, skb_put(skb, PXK_MAC_LEN));
}

static int xmit4(struct pxk_node *n, struct socket *sock, struct sk_buff *skb,
		 const struct pxk_addr *to)
{
	struct flowi4 fl4 = {
		.saddr = n->addr.v4,
		.daddr = to->v4,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = htons(n->addr.port),
		.fl4_dport = htons(to->port),
	};
	struct rtable *rt = ip_route_output_key(sock_net(sock->sk), &fl4);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	udp_tunnel_xmit_skb(rt, sock->sk, skb, fl4.saddr, fl4.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, htons(n->addr.port),
			    htons(to->port), false, false);
	return 0;
}

static int xmit6(struct pxk_node *n, struct socket *sock, struct sk_buff *skb,
		 const struct pxk_addr *to)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct flowi6 fl6 = {
		.saddr = n->addr.a6,
		.daddr = to->a6,
		.flowi6_proto = IPPROTO_UDP,
		.fl6_sport = htons(n->addr.port),
		.fl6_dport = htons(to->port),
	};
	struct dst_entry *dst;

	dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sock->sk), sock->sk,
					      &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	/* void in 6.17 and Debian's 6.12; where it returns int, always 0 */
	udp_tunnel6_xmit_skb(dst, sock->sk, skb, NULL, &fl6.saddr, &fl6.daddr,
			     0, ip6_dst_hoplimit(dst), 0, htons(n->addr.port),
			     htons(to->port), false);
	return 0;
#else
	return -EAFNOSUPPORT;
#endif
}

/*
 * Sign and send what the engine queued, in its order, without the node
 * lock held.  Process context and softirqs on other CPUs all flush; one
 * drains at a time, so datagrams leave in the order the engine made them
 * (the network may still reorder them).  Whoever finds the queue being
 * drained leaves its datagrams to the drainer, which looks again after
 * letting go.
 */
void pxk_udp_flush(struct pxk_node *n)
{
	const struct pxk_key *k;
	struct sk_buff *skb;
	struct socket *sock;

again:
	if (skb_queue_empty_lockless(&n->txq) ||
	    test_and_set_bit(PXK_TX_BUSY, &n->tx_busy))
		return;
	rcu_read_lock_bh();
	sock = rcu_dereference_bh(n->sock);
	k = rcu_dereference_bh(n->key);
	while ((skb = skb_dequeue(&n->txq))) {
		/* A copy: the tunnel's transmit reuses skb->cb. */
		struct pxk_cb cb = *(struct pxk_cb *)skb->cb;
		int err = -ENOTCONN;

		if (sock) {
			if (k)
				sign(skb, k);
			err = cb.addr.v6 ? xmit6(n, sock, skb, &cb.addr) :
					   xmit4(n, sock, skb, &cb.addr);
			if (!err)
				continue;
		}
		trace_paxos_drop(n, PAXOS_CTR_TX_ERRORS, cb.to, skb->len);
		kfree_skb(skb);
		spin_lock_bh(&n->lock);
		count(n, PAXOS_CTR_TX_ERRORS);
		spin_unlock_bh(&n->lock);
	}
	rcu_read_unlock_bh();
	clear_bit_unlock(PXK_TX_BUSY, &n->tx_busy);
	/* Order the release before the look at the queue (pairs with enqueue). */
	smp_mb__after_atomic();
	goto again;
}
