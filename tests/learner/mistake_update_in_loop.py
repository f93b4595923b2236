# Walkthrough, one mistake planted: the updates (lines 66-71) sit inside the example loop.
import sys

import numpy as np
import pandas as pd

np.random.seed(0)

M = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
data = pd.read_csv("train.csv")
data = data.head(M)
labels = data["label"]
X = data.drop(columns="label").T
m = M

W1 = np.random.rand(16, 784) - 0.5
B1 = np.random.rand(16, 1) - 0.5
W2 = np.random.rand(16, 16) - 0.5
B2 = np.random.rand(16, 1) - 0.5
W3 = np.random.rand(10, 16) - 0.5
B3 = np.random.rand(10, 1) - 0.5
alpha = 0.8


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z + 1e-5))


def softmax(Z3):
    return np.exp(Z3 + 1e-5) / np.sum(np.exp(Z3 + 1e-5))


for epoch in range(500):
    dw1 = np.zeros_like(W1)
    db1 = np.zeros_like(B1)
    dw2 = np.zeros_like(W2)
    db2 = np.zeros_like(B2)
    dw3 = np.zeros_like(W3)
    db3 = np.zeros_like(B3)
    correct = 0
    for i in range(m):
        x = X[i].values.reshape(-1, 1)
        label = labels[i]
        y = np.zeros((10, 1))
        y[label] = 1

        Z1 = W1 @ x + B1
        A1 = sigmoid(Z1)
        Z2 = W2 @ A1 + B2
        A2 = sigmoid(Z2)
        Z3 = W3 @ A2 + B3
        A3 = softmax(Z3)
        if np.argmax(A3) == label:
            correct += 1

        dz3 = A3 - y
        dw3 += dz3 @ A2.T
        db3 += dz3
        dz2 = A2 * (1 - A2) * (W3.T @ dz3)
        dw2 += dz2 @ A1.T
        db2 += dz2
        dz1 = A1 * (1 - A1) * (W2.T @ dz2)
        dw1 += dz1 @ x.T
        db1 += dz1

        W1 = W1 - alpha * dw1 / m
        B1 = B1 - alpha * db1 / m
        W2 = W2 - alpha * dw2 / m
        B2 = B2 - alpha * db2 / m
        W3 = W3 - alpha * dw3 / m
        B3 = B3 - alpha * db3 / m
    print(f"epoch {epoch}: accuracy {correct / m:.4f}")
