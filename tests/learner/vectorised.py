# A correct vectorised network: all examples at once, one column each, full-batch descent.
import sys

import numpy as np
import pandas as pd


def init_params():
    W1 = np.random.rand(16, 784) - 0.5
    b1 = np.random.rand(16, 1) - 0.5
    W2 = np.random.rand(16, 16) - 0.5
    b2 = np.random.rand(16, 1) - 0.5
    W3 = np.random.rand(10, 16) - 0.5
    b3 = np.random.rand(10, 1) - 0.5
    return W1, b1, W2, b2, W3, b3


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def softmax(Z):
    return np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True)


def forward(W1, b1, W2, b2, W3, b3, X):
    Z1 = W1 @ X + b1
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sigmoid(Z2)
    Z3 = W3 @ A2 + b3
    A3 = softmax(Z3)
    return Z1, A1, Z2, A2, Z3, A3


def backward(A1, A2, A3, W2, W3, X, Y):
    m = X.shape[1]
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * A2 * (1 - A2)
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * A1 * (1 - A1)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return dW1, db1, dW2, db2, dW3, db3


def update(W1, b1, W2, b2, W3, b3, dW1, db1, dW2, db2, dW3, db3, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    W3 = W3 - alpha * dW3
    b3 = b3 - alpha * db3
    return W1, b1, W2, b2, W3, b3


def gradient_descent(X, Y, alpha, epochs):
    W1, b1, W2, b2, W3, b3 = init_params()
    for epoch in range(epochs):
        Z1, A1, Z2, A2, Z3, A3 = forward(W1, b1, W2, b2, W3, b3, X)
        dW1, db1, dW2, db2, dW3, db3 = backward(A1, A2, A3, W2, W3, X, Y)
        W1, b1, W2, b2, W3, b3 = update(W1, b1, W2, b2, W3, b3, dW1, db1, dW2, db2, dW3, db3, alpha)
        accuracy = np.mean(np.argmax(A3, axis=0) == np.argmax(Y, axis=0))
        print(f"epoch {epoch}: accuracy {accuracy:.4f}")
    return W1, b1, W2, b2, W3, b3


np.random.seed(0)
M = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
data = pd.read_csv("train.csv").head(M)
X = data.drop(columns="label").to_numpy().T
labels = data["label"].to_numpy()
Y = np.zeros((10, labels.size))
Y[labels, np.arange(labels.size)] = 1
alpha = 0.8
W1, b1, W2, b2, W3, b3 = gradient_descent(X, Y, alpha, 500)
