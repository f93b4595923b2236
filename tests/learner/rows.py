# A correct vectorised network in rows: one row per example, X (m, 784), W1 (784, 16).
import sys

import numpy as np
import pandas as pd

np.random.seed(0)

M = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
data = pd.read_csv("train.csv").head(M)
labels = data["label"].to_numpy()
X = data.drop(columns="label").to_numpy()
Y = np.zeros((labels.size, 10))
Y[np.arange(labels.size), labels] = 1
m = X.shape[0]
alpha = 0.8

# drawn in the lesson's shapes, W1 (16, 784), then transposed: same numbers as column code
W1 = (np.random.rand(16, 784) - 0.5).T
b1 = (np.random.rand(16, 1) - 0.5).T
W2 = (np.random.rand(16, 16) - 0.5).T
b2 = (np.random.rand(16, 1) - 0.5).T
W3 = (np.random.rand(10, 16) - 0.5).T
b3 = (np.random.rand(10, 1) - 0.5).T


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def softmax(Z):
    return np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True)


for epoch in range(500):
    Z1 = X @ W1 + b1
    A1 = sigmoid(Z1)
    Z2 = A1 @ W2 + b2
    A2 = sigmoid(Z2)
    Z3 = A2 @ W3 + b3
    A3 = softmax(Z3)

    dZ3 = A3 - Y
    dW3 = A2.T @ dZ3 / m
    db3 = np.sum(dZ3, axis=0, keepdims=True) / m
    dZ2 = (dZ3 @ W3.T) * A2 * (1 - A2)
    dW2 = A1.T @ dZ2 / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dZ1 = (dZ2 @ W2.T) * A1 * (1 - A1)
    dW1 = X.T @ dZ1 / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m

    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    W3 = W3 - alpha * dW3
    b3 = b3 - alpha * db3
    accuracy = np.mean(np.argmax(A3, axis=1) == labels)
    print(f"epoch {epoch}: accuracy {accuracy:.4f}")
