# A correct per-example network with its own names, checked with --names (see MANIFEST.toml).
import sys

import numpy as np
import pandas as pd

np.random.seed(0)

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
table = pd.read_csv("train.csv").head(rows)
answers = table["label"].to_numpy()
images = table.drop(columns="label").to_numpy()
count = rows
step = 0.8

weights_in = np.random.rand(16, 784) - 0.5
bias_in = np.random.rand(16, 1) - 0.5
weights_mid = np.random.rand(16, 16) - 0.5
bias_mid = np.random.rand(16, 1) - 0.5
weights_out = np.random.rand(10, 16) - 0.5
bias_out = np.random.rand(10, 1) - 0.5


def squash(v):
    return 1 / (1 + np.exp(-v + 1e-5))


for sweep in range(500):
    grad_w_in, grad_b_in = np.zeros_like(weights_in), np.zeros_like(bias_in)
    grad_w_mid, grad_b_mid = np.zeros_like(weights_mid), np.zeros_like(bias_mid)
    grad_w_out, grad_b_out = np.zeros_like(weights_out), np.zeros_like(bias_out)
    hits = 0
    for row in range(count):
        pixels = images[row].reshape(-1, 1)
        wanted = np.zeros((10, 1))
        wanted[answers[row]] = 1

        hidden_pre = weights_in @ pixels + bias_in
        hidden = squash(hidden_pre)
        hidden2_pre = weights_mid @ hidden + bias_mid
        hidden2 = squash(hidden2_pre)
        out_pre = weights_out @ hidden2 + bias_out
        out = np.exp(out_pre) / np.sum(np.exp(out_pre))
        hits += int(np.argmax(out) == answers[row])

        err_out = out - wanted
        grad_w_out += err_out @ hidden2.T
        grad_b_out += err_out
        back_hidden2 = weights_out.T @ err_out
        err_hidden2 = back_hidden2 * hidden2 * (1 - hidden2)
        grad_w_mid += err_hidden2 @ hidden.T
        grad_b_mid += err_hidden2
        back_hidden = weights_mid.T @ err_hidden2
        err_hidden = back_hidden * hidden * (1 - hidden)
        grad_w_in += err_hidden @ pixels.T
        grad_b_in += err_hidden

    weights_in = weights_in - step * grad_w_in / count
    bias_in = bias_in - step * grad_b_in / count
    weights_mid = weights_mid - step * grad_w_mid / count
    bias_mid = bias_mid - step * grad_b_mid / count
    weights_out = weights_out - step * grad_w_out / count
    bias_out = bias_out - step * grad_b_out / count
    print(f"sweep {sweep}: {hits} of {count} right")
