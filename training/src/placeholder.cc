// replaced by the DistributedOptimizer sources
