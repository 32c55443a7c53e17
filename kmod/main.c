// SPDX-License-Identifier: GPL-2.0
/*
 * kpaxos: a Multi-Paxos replicated log in the kernel.  Module init and
 * exit, and the per-namespace node (pernet_operations).
 */
#include <linux/module.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>

#include "pxk.h"

static unsigned int pxk_net_id __read_mostly;

struct pxk_net {
	struct pxk_node *node;
};

/* The node of @net, with a reference, or NULL while the netns dies. */
struct pxk_node *pxk_node_get(struct net *net)
{
	struct pxk_net *pn = net_generic(net, pxk_net_id);
	struct pxk_node *n = READ_ONCE(pn->node);

	if (!n || !kref_get_unless_zero(&n->ref))
		return NULL;
	return n;
}

static void pxk_node_release(struct kref *ref)
{
	struct pxk_node *n = container_of(ref, struct pxk_node, ref);

	/* The last reference: the socket is closed, no datagram is in flight. */
	kfree_sensitive(rcu_dereference_protected(n->key, true));
	put_user_ns(n->user_ns);
	kfree(n);
}

void pxk_node_put(struct pxk_node *n)
{
	kref_put(&n->ref, pxk_node_release);
}

static int __net_init pxk_net_init(struct net *net)
{
	struct pxk_net *pn = net_generic(net, pxk_net_id);

	pn->node = pxk_node_alloc(net);
	return pn->node ? 0 : -ENOMEM;
}

static void __net_exit pxk_net_exit(struct net *net)
{
	struct pxk_net *pn = net_generic(net, pxk_net_id);
	struct pxk_node *n = pn->node;

	WRITE_ONCE(pn->node, NULL);
	pxk_node_kill(n);
	pxk_node_put(n);
}

static struct pernet_operations pxk_net_ops = {
	.init = pxk_net_init,
	.exit = pxk_net_exit,
	.id = &pxk_net_id,
	.size = sizeof(struct pxk_net),
};

static int __init pxk_init(void)
{
	int err;

	err = pxk_store_init();
	if (err)
		return err;
	err = register_pernet_subsys(&pxk_net_ops);
	if (err)
		goto err_store;
	err = pxk_genl_init();
	if (err)
		goto err_pernet;
	err = pxk_chardev_init();
	if (err)
		goto err_genl;
#ifdef PAXOS_PLANT_WARN
	/* Test-only: proves the VM runner fails on kernel warnings. */
	WARN_ON(1);
#endif
	pr_info("Multi-Paxos replicated log loaded\n");
	return 0;

err_genl:
	pxk_genl_exit();
err_pernet:
	unregister_pernet_subsys(&pxk_net_ops);
err_store:
	pxk_store_exit();
	return err;
}

static void __exit pxk_exit(void)
{
	pxk_chardev_exit();
	pxk_genl_exit();
	unregister_pernet_subsys(&pxk_net_ops);
	pxk_store_exit();
	/* Keys replaced earlier are freed by RCU callbacks in this module. */
	rcu_barrier();
}

module_init(pxk_init);
module_exit(pxk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Multi-Paxos replicated log over UDP");
MODULE_ALIAS_GENL_FAMILY(PAXOS_FAMILY_NAME);
