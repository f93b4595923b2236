"""The math of netviz, numpy only: activations, the network, one example's ops, the full-batch
epoch and the gradient check. Never prints, reads files, sleeps or imports beyond numpy."""
