# A correct full-batch network kept in a class: weights as attributes, gradients in a dict.
import sys

import numpy as np
import pandas as pd


class Network:
    def __init__(self, sizes):
        self.W1 = np.random.rand(sizes[1], sizes[0]) - 0.5
        self.b1 = np.random.rand(sizes[1], 1) - 0.5
        self.W2 = np.random.rand(sizes[2], sizes[1]) - 0.5
        self.b2 = np.random.rand(sizes[2], 1) - 0.5
        self.W3 = np.random.rand(sizes[3], sizes[2]) - 0.5
        self.b3 = np.random.rand(sizes[3], 1) - 0.5

    @staticmethod
    def sigmoid(Z):
        return 1 / (1 + np.exp(-Z))

    def forward(self, X):
        self.Z1 = self.W1 @ X + self.b1
        self.A1 = self.sigmoid(self.Z1)
        self.Z2 = self.W2 @ self.A1 + self.b2
        self.A2 = self.sigmoid(self.Z2)
        self.Z3 = self.W3 @ self.A2 + self.b3
        e = np.exp(self.Z3 - self.Z3.max(axis=0))
        self.A3 = e / e.sum(axis=0)
        return self.A3

    def backward(self, X, Y):
        m = X.shape[1]
        grads = {}
        dZ3 = self.A3 - Y
        grads["dW3"] = dZ3 @ self.A2.T / m
        grads["db3"] = dZ3.sum(axis=1, keepdims=True) / m
        dZ2 = self.A2 * (1 - self.A2) * (self.W3.T @ dZ3)
        grads["dW2"] = dZ2 @ self.A1.T / m
        grads["db2"] = dZ2.sum(axis=1, keepdims=True) / m
        dZ1 = self.A1 * (1 - self.A1) * (self.W2.T @ dZ2)
        grads["dW1"] = dZ1 @ X.T / m
        grads["db1"] = dZ1.sum(axis=1, keepdims=True) / m
        return grads

    def step(self, grads, lr):
        self.W1 -= lr * grads["dW1"]
        self.b1 -= lr * grads["db1"]
        self.W2 -= lr * grads["dW2"]
        self.b2 -= lr * grads["db2"]
        self.W3 -= lr * grads["dW3"]
        self.b3 -= lr * grads["db3"]


np.random.seed(0)
M = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
data = pd.read_csv("train.csv").head(M)
X = data.drop(columns="label").to_numpy().T
labels = data["label"].to_numpy()
Y = np.eye(10)[:, labels]
net = Network([784, 16, 16, 10])
for epoch in range(500):
    A3 = net.forward(X)
    net.step(net.backward(X, Y), 0.8)
    print(f"epoch {epoch}: accuracy {np.mean(A3.argmax(axis=0) == labels):.4f}")
