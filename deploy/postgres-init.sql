-- First start of the PostgreSQL container: one database per store (deploy/compose.yaml).
CREATE DATABASE tracker;
CREATE DATABASE portal;
CREATE DATABASE console;
