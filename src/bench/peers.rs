//! `ibcert bench --peers`: the flow workloads side by side with a float64 peer, scipy's
//! solve_ivp (BDF, Radau, LSODA) integrating the same flow (benches/peers/scipy_flow.py).
